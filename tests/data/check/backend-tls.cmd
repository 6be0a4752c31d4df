check backend-tls.yaml
