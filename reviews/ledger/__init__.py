"""The hash-chained audit ledger: the chain and its anchors (chain, pure) and the reads that verify it (selectors)."""
