"""Request headers of kinds of clients the app tells apart (``grove.negotiation``)."""

# What browsers send: page routes answer their refusals as HTML pages to such clients only.
BROWSER = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
