"""jobrank online side: the ranking service and the domain core it shares with training."""
