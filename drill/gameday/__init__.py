"""Game day: the facilitator's channel to running drills, team results, serving in a browser."""
