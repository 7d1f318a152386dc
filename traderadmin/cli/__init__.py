"""What every command line of the toolkit shares: how flag values are read and how long work reports progress."""
