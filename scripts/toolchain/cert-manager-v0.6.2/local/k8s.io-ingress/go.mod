// Stands in for the old k8s.io/ingress repository (not served by the Go module proxy) in the
// cert-manager v0.6.2 build; see core/pkg/ingress/annotations/class and the replace in ../../go.mod.
module k8s.io/ingress

go 1.12
