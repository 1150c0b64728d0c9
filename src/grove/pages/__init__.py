"""Server-rendered reader pages: plain HTML and one inline stylesheet, no JavaScript."""
