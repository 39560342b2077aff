"""Running the platform: projections in a second process, replays, restores, and the production
topology that deploy/ is rendered from."""
