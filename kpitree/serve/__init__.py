"""``kpitree serve``: the live dashboard (a local web app over the tree and its analyses)."""
