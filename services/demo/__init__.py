"""`povezimo demo`: the seed network simulated through the SDK, the exchange and every
projection."""
