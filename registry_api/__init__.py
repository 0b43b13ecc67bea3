"""The city's registry API: connects departments' systems to the chain."""
