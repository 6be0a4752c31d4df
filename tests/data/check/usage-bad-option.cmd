check --bogus implicit.yaml
