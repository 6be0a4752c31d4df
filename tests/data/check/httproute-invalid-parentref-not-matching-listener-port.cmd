check base.yaml httproute-invalid-parentref-not-matching-listener-port.yaml
