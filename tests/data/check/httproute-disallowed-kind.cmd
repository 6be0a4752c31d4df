check base.yaml httproute-disallowed-kind.yaml
