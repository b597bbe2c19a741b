"""The ledger's reference data kept in step with the ledger: pull operations (Codat's
`data/all`, `data/queue/{dataType}`, `dataStatus`, `data/history`) and the cached records that
mapping options, validation and the supplier/customer endpoints read."""
