; Inno Setup script: the Windows installer of Auctionmen, from the PyInstaller bundle.
; Build on Windows (see README "Build the installer"): installer\windows\build.ps1
; The version comes from pyproject.toml: build.ps1 passes it as /DAppVersion=...
; Not tested in this project's CI (Linux only).

#ifndef AppVersion
  #error Pass the version: iscc /DAppVersion=0.1.0 installer\windows\auctionmen.iss
#endif

[Setup]
AppId={{6E0F3C2A-6B1D-4E55-9D0B-2A7C1D5E8F41}
AppName=Auctionmen
AppVersion={#AppVersion}
AppPublisher=Auctionmen
DefaultDirName={autopf}\Auctionmen
DefaultGroupName=Auctionmen
DisableProgramGroupPage=yes
OutputDir=..\..\dist
OutputBaseFilename=auctionmen-{#AppVersion}-setup
Compression=lzma2/fast
SolidCompression=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
PrivilegesRequiredOverridesAllowed=dialog
UninstallDisplayIcon={app}\auctionmen-gui.exe
SetupIconFile=auctionmen.ico
WizardStyle=modern

[Languages]
Name: "en"; MessagesFile: "compiler:Default.isl"
Name: "de"; MessagesFile: "compiler:Languages\German.isl"
Name: "fr"; MessagesFile: "compiler:Languages\French.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
; The whole onedir bundle (dist\auctionmen from PyInstaller).
Source: "..\..\build\installer\dist\auctionmen\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\Auctionmen"; Filename: "{app}\auctionmen-gui.exe"
Name: "{group}\Auctionmen (headless stage)"; Filename: "{app}\auctionmen.exe"; Parameters: "serve --demo"
Name: "{group}\{cm:UninstallProgram,Auctionmen}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\Auctionmen"; Filename: "{app}\auctionmen-gui.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\auctionmen-gui.exe"; Description: "{cm:LaunchProgram,Auctionmen}"; Flags: nowait postinstall skipifsilent

; The users' sales, keys and settings live in %LOCALAPPDATA%\auctionmen (platformdirs): the
; uninstaller leaves them, as they hold the sales' journals.
