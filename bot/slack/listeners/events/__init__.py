"""Events API deliveries."""
