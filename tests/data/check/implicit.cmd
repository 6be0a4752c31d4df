check implicit.yaml
