"""The QuickBooks Online connector (Codat platform key `qhyg`)."""
