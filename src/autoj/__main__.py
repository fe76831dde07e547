"""`python -m autoj` runs the command line."""

from autoj.cli.main import main

main()
