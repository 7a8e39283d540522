"""Rules: plain functions over deals (+ ledger + profile) that return Findings."""
