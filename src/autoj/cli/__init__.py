"""The `autoj` command line: one module per subcommand, assembled in `main`."""
