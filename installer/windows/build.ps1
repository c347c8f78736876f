# Builds the Windows bundle (PyInstaller, onedir) and its installer (Inno Setup 6) on Windows:
#   powershell -ExecutionPolicy Bypass -File installer\windows\build.ps1
# Needs Python 3.11-3.13 with the project installed (py -m venv .venv; .venv\Scripts\pip
# install -e .[dev]) and Inno Setup 6 (iscc.exe on PATH or in its default folder).
# Not tested in this project's CI (Linux only): see README "Build the installer".
$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..\..")
$py = ".venv\Scripts\python.exe"
$version = & $py -c "import tomllib; print(tomllib.load(open('pyproject.toml','rb'))['project']['version'])"
& $py -m PyInstaller --noconfirm --log-level WARN --workpath build\installer\pyinstaller `
    --distpath build\installer\dist installer\auctionmen.spec
if ($LASTEXITCODE -ne 0) { throw "PyInstaller failed" }
$said = & build\installer\dist\auctionmen\auctionmen.exe --version
if ($said -ne "auctionmen $version") { throw "the bundle says '$said', pyproject.toml $version" }
$iscc = (Get-Command iscc.exe -ErrorAction SilentlyContinue).Source
if (-not $iscc) { $iscc = "${env:ProgramFiles(x86)}\Inno Setup 6\ISCC.exe" }
& $iscc "/DAppVersion=$version" installer\windows\auctionmen.iss
if ($LASTEXITCODE -ne 0) { throw "Inno Setup failed" }
Write-Host "dist\auctionmen-$version-setup.exe"
