"""One module per judge family: its prompt builder, its output contract and its parser."""
