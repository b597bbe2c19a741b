"""Push operations: records other than transactions written to the ledger (suppliers and
customers), each one logged as Codat's PushOperation (`GET …/push[/{key}]`)."""
