check base.yaml httproute-invalid-parentref-section-name-not-matching-port.yaml
