// Package class stands in for k8s.io/ingress/core/pkg/ingress/annotations/class (k8s.io/ingress
// 0.9.6, the version cert-manager v0.6.2's Gopkg.lock pins), which the Go module proxy does not
// serve. cert-manager v0.6.2 uses only IngressKey (pkg/issuer/acme/http/ingress.go,
// pkg/controller/ingress-shim/sync.go); the rest of the package (IsValid, which needed the
// package's annotation parser) is left out.
package class

// IngressKey picks a specific "class" for the Ingress (the annotation ingress controllers read).
const IngressKey = "kubernetes.io/ingress.class"
