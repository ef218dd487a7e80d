"""What the person sees while the coach speaks: the floor-readable session screen."""
