"""One module per ``speakerid`` sub-command; each defines ``add_parser(subparsers)``."""
