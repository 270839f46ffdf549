"""Training of the bundled learned priors (recipes anyone can rerun)."""
