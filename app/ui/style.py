"""The console's stylesheet: calm greys, one accent per action, big money figures.

Every text colour meets WCAG AA contrast on what it is drawn on (4.5:1; 3:1 for large text):
a rule with its own `background` is checked against it, a rule without one against its
entry in `TEXT_ON`; the badges' colours carry white text. tests/app/test_a11y.py computes
the ratios from this file (disabled controls are exempt, as WCAG allows).
"""

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
    color: #6b7280; }
QLabel#lotNumber { font-size: 15px; font-weight: 700; color: #374151; }
QLabel#lotTitle { font-size: 19px; font-weight: 600; color: #111827; }
QLabel#lotEstimate { color: #4b5563; }
QLabel#lotReserve { color: #9a3412; font-weight: 600; }
QLabel#lotReserve[met="true"] { color: #166534; }
QLabel#caption { color: #4b5563; font-size: 11px; }
QLabel#currentBid { font-size: 32px; font-weight: 700; color: #111827; }
QLabel#nextAsk { font-size: 26px; font-weight: 600; color: #2563eb; }
QLabel#currentBidder, QLabel#increment { color: #4b5563; }
QLabel#sectionTitle { font-weight: 600; color: #374151; padding: 2px 0; }
QLabel#notice { color: #1d4ed8; }
QLabel#notice[error="true"] { color: #b91c1c; font-weight: 600; }
QLabel#amlAlert { background: #fee2e2; color: #991b1b; font-weight: 700; padding: 1px 6px;
    border: 2px solid #dc2626; }
QLabel#qrCaption { font-weight: 600; color: #374151; }
QLabel#qrLink { color: #4b5563; font-size: 10px; }
QLabel#pinLabel { font-size: 20px; font-weight: 700; color: #111827; }
QPushButton { background: white; border: 1px solid #d1d5db; border-radius: 6px;
    padding: 4px 10px; color: #111827; }
QPushButton:hover { background: #f9fafb; }
QWidget#console QPushButton { padding: 2px 8px; }
QPushButton:disabled { color: #9ca3af; background: #f3f4f6; }
QPushButton[accent="bid"] { background: #2563eb; color: white; border-color: #1d4ed8;
    font-weight: 600; }
QPushButton[accent="hammer"] { background: #15803d; color: white; border-color: #166534;
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
    padding: 4px; color: #4b5563; font-weight: 600; }
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

HEADER = "#111827"
WINDOW = "#f3f4f6"
CARD = "white"
# What the rules without a background of their own are drawn on.
TEXT_ON = {
    "QFrame#header QLabel": HEADER,
    "QLabel#saleTitle": HEADER,
    "QLabel#hubAddress": HEADER,
    "QLabel#lightCaption": HEADER,
    "QLabel#lightDetail": HEADER,
    "QLabel#lotNumber": CARD,
    "QLabel#lotTitle": CARD,
    "QLabel#lotEstimate": CARD,
    "QLabel#lotReserve": CARD,
    'QLabel#lotReserve[met="true"]': CARD,
    "QLabel#caption": WINDOW,
    "QLabel#currentBid": CARD,
    "QLabel#nextAsk": CARD,
    "QLabel#currentBidder, QLabel#increment": CARD,
    "QLabel#sectionTitle": WINDOW,
    "QLabel#notice": WINDOW,
    'QLabel#notice[error="true"]': WINDOW,
    "QLabel#qrCaption": CARD,
    "QLabel#qrLink": CARD,
    "QLabel#pinLabel": WINDOW,
    "QTabBar::tab": WINDOW,
    "QTabBar::tab:selected": WINDOW,
    "QLabel#helpTitle": "#42474f",  # the overlay's rgba(17, 24, 39, 200) over the window
    "QLabel#helpGroup": CARD,
    "QLabel#helpKey": CARD,
    "QLabel#helpText": CARD,
}
# Badges: white text on these (the lot's state on the console, the sale's in the header).
STATUS_COLORS = {
    "open": "#2563eb",
    "fair_warning": "#b45309",
    "sold": "#15803d",
    "passed": "#4b5563",
    "withdrawn": "#4b5563",
    "pending": "#4b5563",
}
SALE_BADGES = {"draft": "#4b5563", "live": "#15803d", "break": "#b45309", "closed": HEADER}
