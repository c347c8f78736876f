"""The Qt widgets of the auctioneer's console. Small widgets; logic lives in app/*.py."""
