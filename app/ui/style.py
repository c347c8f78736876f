"""The console's stylesheet: calm greys, one accent per action, big money figures."""

STYLE = """
QMainWindow, QWidget#central { background: #f3f4f6; }
QFrame#header { background: #111827; }
QFrame#header QLabel { color: #e5e7eb; }
QLabel#saleTitle { font-size: 17px; font-weight: 600; color: white; }
QLabel#hubAddress { font-family: monospace; color: #93c5fd; }
QLabel#lightCaption { font-size: 11px; font-weight: 600; color: #f9fafb; }
QLabel#lightDetail { font-size: 11px; color: #9ca3af; }
QFrame#lotCard, QFrame#qrCard, QFrame#progressPanel {
    background: white; border: 1px solid #e5e7eb; border-radius: 8px; }
QLabel#lotImage { background: #f9fafb; border: 1px solid #e5e7eb; border-radius: 6px;
    color: #9ca3af; }
QLabel#lotNumber { font-size: 15px; font-weight: 700; color: #374151; }
QLabel#lotTitle { font-size: 19px; font-weight: 600; color: #111827; }
QLabel#lotEstimate { color: #4b5563; }
QLabel#lotReserve { color: #9a3412; font-weight: 600; }
QLabel#lotReserve[met="true"] { color: #166534; }
QLabel#caption { color: #6b7280; font-size: 11px; }
QLabel#currentBid { font-size: 32px; font-weight: 700; color: #111827; }
QLabel#nextAsk { font-size: 26px; font-weight: 600; color: #2563eb; }
QLabel#currentBidder, QLabel#increment { color: #4b5563; }
QLabel#sectionTitle { font-weight: 600; color: #374151; padding: 2px 0; }
QLabel#notice { color: #1d4ed8; }
QLabel#notice[error="true"] { color: #b91c1c; font-weight: 600; }
QLabel#amlAlert { background: #fee2e2; color: #991b1b; font-weight: 700; padding: 6px;
    border: 2px solid #dc2626; }
QLabel#qrCaption { font-weight: 600; color: #374151; }
QLabel#qrLink { color: #6b7280; font-size: 10px; }
QLabel#pinLabel { font-size: 20px; font-weight: 700; color: #111827; }
QPushButton { background: white; border: 1px solid #d1d5db; border-radius: 6px;
    padding: 4px 10px; color: #111827; }
QPushButton:hover { background: #f9fafb; }
QWidget#console QPushButton { padding: 2px 8px; }
QPushButton:disabled { color: #9ca3af; background: #f3f4f6; }
QPushButton[accent="bid"] { background: #2563eb; color: white; border-color: #1d4ed8;
    font-weight: 600; }
QPushButton[accent="hammer"] { background: #16a34a; color: white; border-color: #15803d;
    font-weight: 600; }
QPushButton[accent="warn"] { background: #b45309; color: white; border-color: #92400e;
    font-weight: 600; }
QPushButton[accent="bid"]:disabled, QPushButton[accent="hammer"]:disabled,
QPushButton[accent="warn"]:disabled {
    background: #e5e7eb; color: #9ca3af; border-color: #d1d5db; }
QGroupBox { background: white; border: 1px solid #e5e7eb; border-radius: 8px;
    margin-top: 12px; padding-top: 2px; font-weight: 600; color: #374151; }
QGroupBox::title { subcontrol-origin: margin; left: 10px; padding: 0 4px; }
QGroupBox[alert="true"] { border: 2px solid #dc2626; }
QTableWidget { background: white; border: none; alternate-background-color: #f9fafb;
    selection-background-color: #dbeafe; selection-color: #111827; }
QHeaderView::section { background: #f9fafb; border: none; border-bottom: 1px solid #e5e7eb;
    padding: 4px; color: #6b7280; font-weight: 600; }
QTabWidget::pane { border: none; }
QTabBar::tab { padding: 5px 12px; color: #4b5563; }
QTabBar::tab:selected { color: #111827; border-bottom: 2px solid #2563eb; font-weight: 600; }
QFrame#helpOverlay { background: rgba(17, 24, 39, 200); }
QFrame#helpPanel { background: white; border-radius: 10px; padding: 16px; }
QLabel#helpTitle { color: white; font-size: 18px; font-weight: 600; }
QLabel#helpGroup { font-weight: 700; color: #2563eb; padding-top: 6px; }
QLabel#helpKey { font-family: monospace; font-weight: 700; color: #111827; }
QLabel#helpText { color: #374151; }
QProgressBar { border: 1px solid #e5e7eb; border-radius: 4px; background: #f9fafb;
    text-align: center; }
QProgressBar::chunk { background: #16a34a; border-radius: 4px; }
"""
