// go.mod for building github.com/jetstack/cert-manager v0.6.2 (cmd/controller, cmd/webhook) from the
// Go module proxy; copied over the module's own (empty) go.mod by scripts/toolchain-cert-manager.sh.
//
// Why it is needed: v0.6.2 was built with dep. Its module zip has no go.mod (the proxy synthesizes
// `module github.com/jetstack/cert-manager`) and an empty vendor/; its Gopkg.lock pins the
// kubernetes-1.10.12 libraries by git commit, which the proxy refuses (e.g.
// k8s.io/api@38287c0991a5...: "403 Forbidden: This module version is not available").
//
// What it is: the go.mod of cert-manager v0.8.1 (the first release with one, four months later:
// Kubernetes 1.14 libraries, client-go v0.0.0-20190413052642-108c485f896e), its require and replace
// lines copied verbatim, except where marked DEVIATION, plus the block at the end. Where the 1.14
// libraries differ from 1.10 in what 0.6.2 uses (an API, the logging flags, a flag the v0.6 chart
// passes), patches/ adapt 0.6.2's source; each patch says why.
// Requirements of v0.8.1 that 0.6.2 does not import stay: they only add go.mod files to the graph.

module github.com/jetstack/cert-manager

go 1.12

require (
	cloud.google.com/go v0.38.0
	// DEVIATION: v0.8.1 requires v21.3.0, which no longer has the arm/dns package that 0.6.2 imports
	// (pkg/issuer/acme/dns/azuredns); v12.0.0-beta is the release Gopkg.lock of 0.6.2 pins (also
	// replaced below, so that no other requirement can raise it).
	github.com/Azure/azure-sdk-for-go v12.0.0-beta+incompatible
	github.com/Azure/go-autorest v11.1.0+incompatible
	github.com/Microsoft/go-winio v0.4.12 // indirect
	github.com/Nvveen/Gotty v0.0.0-20120604004816-cd527374f1e5 // indirect
	github.com/SAP/go-hdb v0.14.1 // indirect
	github.com/SermoDigital/jose v0.9.1 // indirect
	github.com/Venafi/vcert v0.0.0-20181029235941-5068538d4d65
	github.com/appscode/jsonpatch v0.0.0-20190108182946-7c0e3b262f30 // indirect
	github.com/armon/go-metrics v0.0.0-20180917152333-f0300d1749da // indirect
	github.com/armon/go-radix v1.0.0 // indirect
	github.com/asaskevich/govalidator v0.0.0-20180720115003-f9ffefc3facf // indirect
	github.com/aws/aws-sdk-go v0.0.0-20170809071707-58f4800ac6e7
	github.com/bitly/go-hostpool v0.0.0-20171023180738-a3a6125de932 // indirect
	github.com/bmizerany/assert v0.0.0-20160611221934-b7ed37b82869 // indirect
	github.com/cenkalti/backoff v2.1.1+incompatible // indirect
	github.com/cloudflare/cloudflare-go v0.8.5
	github.com/containerd/continuity v0.0.0-20181203112020-004b46473808 // indirect
	github.com/cpu/goacmedns v0.0.0-20180701200144-565ecf2a84df
	github.com/denisenkom/go-mssqldb v0.0.0-20190412130859-3b1d194e553a // indirect
	github.com/digitalocean/godo v1.6.0
	github.com/docker/go-connections v0.4.0 // indirect
	github.com/docker/go-units v0.3.3 // indirect
	github.com/duosecurity/duo_api_golang v0.0.0-20190308151101-6c680f768e74 // indirect
	github.com/emicklei/go-restful v2.9.3+incompatible // indirect
	github.com/fatih/structs v1.1.0 // indirect
	github.com/ghodss/yaml v1.0.0 // indirect
	github.com/go-ini/ini v1.42.0 // indirect
	github.com/go-logr/logr v0.1.0
	github.com/go-logr/zapr v0.1.1 // indirect
	github.com/go-openapi/spec v0.17.2
	github.com/go-openapi/swag v0.19.0 // indirect
	github.com/go-sql-driver/mysql v1.4.1 // indirect
	github.com/gocql/gocql v0.0.0-20190402132108-0e1d5de854df // indirect
	github.com/gogo/protobuf v1.2.0 // indirect
	github.com/golang/protobuf v1.3.1 // indirect
	github.com/golang/snappy v0.0.0-20180518054509-2e65f85255db // indirect
	github.com/google/btree v1.0.0 // indirect
	github.com/google/go-cmp v0.3.0 // indirect
	github.com/google/go-github v17.0.0+incompatible
	github.com/google/go-querystring v1.0.0 // indirect
	github.com/gorilla/context v1.1.1 // indirect
	github.com/gorilla/mux v1.6.2
	github.com/gotestyourself/gotestyourself v2.2.0+incompatible // indirect
	github.com/hashicorp/go-cleanhttp v0.5.1 // indirect
	github.com/hashicorp/go-hclog v0.8.0 // indirect
	github.com/hashicorp/go-memdb v1.0.0 // indirect
	github.com/hashicorp/go-multierror v1.0.0 // indirect
	github.com/hashicorp/go-plugin v1.0.0 // indirect
	github.com/hashicorp/go-rootcerts v1.0.0 // indirect
	github.com/hashicorp/go-uuid v1.0.1 // indirect
	github.com/hashicorp/go-version v1.1.0 // indirect
	github.com/hashicorp/golang-lru v0.5.1 // indirect
	github.com/hashicorp/golang-math-big v0.0.0-20180316142257-561262b71329 // indirect
	github.com/hashicorp/hcl v1.0.0 // indirect
	github.com/hashicorp/vault v0.9.6
	github.com/inconshreveable/mousetrap v1.0.0 // indirect
	github.com/jefferai/jsonx v1.0.0 // indirect
	github.com/jmespath/go-jmespath v0.0.0-20180206201540-c2b33e8439af // indirect
	github.com/keybase/go-crypto v0.0.0-20190403132359-d65b6b94177f // indirect
	github.com/kr/pretty v0.1.0
	github.com/lib/pq v1.0.0 // indirect
	github.com/mattn/go-colorable v0.1.1 // indirect
	github.com/mattn/go-isatty v0.0.7 // indirect
	github.com/mgutz/ansi v0.0.0-20170206155736-9520e82c474b // indirect
	github.com/mgutz/logxi v0.0.0-20161027140823-aebf8a7d67ab // indirect
	github.com/miekg/dns v0.0.0-20170721150254-0f3adef2e220
	github.com/mitchellh/copystructure v1.0.0 // indirect
	github.com/mitchellh/go-testing-interface v1.0.0 // indirect
	github.com/mitchellh/mapstructure v1.1.2 // indirect
	github.com/munnerz/goautoneg v0.0.0-20190414153302-2ae31c8b6b30 // indirect
	github.com/onsi/ginkgo v1.7.0
	github.com/onsi/gomega v1.4.3
	github.com/opencontainers/go-digest v1.0.0-rc1 // indirect
	github.com/opencontainers/image-spec v1.0.1 // indirect
	github.com/opencontainers/runc v0.1.1 // indirect
	github.com/openshift/generic-admission-server v1.14.0
	github.com/ory/dockertest v3.3.4+incompatible // indirect
	github.com/pascaldekloe/goe v0.1.0 // indirect
	github.com/patrickmn/go-cache v2.1.0+incompatible // indirect
	github.com/pkg/errors v0.8.0
	github.com/prometheus/client_golang v0.9.3-0.20190127221311-3c4408c8b829
	github.com/ryanuber/go-glob v1.0.0 // indirect
	github.com/sethgrid/pester v0.0.0-20190127155807-68a33a018ad0 // indirect
	github.com/smartystreets/goconvey v0.0.0-20190330032615-68dc04aab96a // indirect
	github.com/spf13/cobra v0.0.0-20170905172051-b78744579491
	github.com/spf13/pflag v1.0.1
	github.com/stretchr/testify v1.3.0
	github.com/tent/http-link-go v0.0.0-20130702225549-ac974c61c2f9 // indirect
	go.uber.org/zap v1.9.1 // indirect
	golang.org/x/crypto v0.0.0-20190426145343-a29dc8fdc734
	golang.org/x/net v0.0.0-20190502183928-7f726cade0ab
	golang.org/x/oauth2 v0.0.0-20190402181905-9f3314589c9a
	golang.org/x/sys v0.0.0-20190502175342-a43fa875dd82 // indirect
	golang.org/x/text v0.3.2 // indirect
	golang.org/x/time v0.0.0-20190308202827-9d24e82272b4 // indirect
	golang.org/x/tools v0.0.0-20190501045030-23463209683d // indirect
	google.golang.org/api v0.4.0
	google.golang.org/genproto v0.0.0-20190502173448-54afdca5d873 // indirect
	google.golang.org/grpc v1.20.1 // indirect
	gopkg.in/ini.v1 v1.42.0 // indirect
	gopkg.in/mgo.v2 v2.0.0-20180705113604-9856a29383ce // indirect
	gopkg.in/ory-am/dockertest.v3 v3.3.4 // indirect
	k8s.io/api v0.0.0-20190413052509-3cc1b3fb6d0f
	k8s.io/apiextensions-apiserver v0.0.0-20190111034747-7d26de67f177
	k8s.io/apimachinery v0.0.0-20190413052414-40a3f73b0fa2
	k8s.io/apiserver v0.0.0-20190413053200-5b6ebd80335e
	k8s.io/client-go v0.0.0-20190413052642-108c485f896e
	k8s.io/code-generator v0.0.0-20181117043124-c2090bec4d9b
	k8s.io/component-base v0.0.0-20190413053003-a7e0d79a8811
	k8s.io/gengo v0.0.0-20190327210449-e17681d19d3a // indirect
	k8s.io/klog v0.2.0
	k8s.io/kube-aggregator v0.0.0-20190222095010-0b78038fe9e5
	k8s.io/kube-openapi v0.0.0-20190228160746-b3a7cee44a30
	k8s.io/utils v0.0.0-20190221042446-c2654d5206da
	sigs.k8s.io/controller-runtime v0.0.0-20190222182021-68ae79ea094a
	sigs.k8s.io/testing_frameworks v0.1.1
)

replace k8s.io/client-go => k8s.io/client-go v0.0.0-20190413052642-108c485f896e

replace github.com/openshift/generic-admission-server => github.com/openshift/generic-admission-server v1.14.0

replace sigs.k8s.io/controller-runtime => github.com/munnerz/controller-runtime v0.1.8-0.20190423203449-038d2c82607c

replace github.com/evanphx/json-patch => github.com/evanphx/json-patch v0.0.0-20190203023257-5858425f7550

replace github.com/munnerz/goautoneg => github.com/munnerz/goautoneg v0.0.0-20190414153302-2ae31c8b6b30

// ---- additions (not in v0.8.1's go.mod) ----

require (
	// DEVIATION: a local module (local/glog) forwarding glog to klog; see the replace below.
	// The version is the glog commit Gopkg.lock of 0.6.2 pins; the replace makes it irrelevant.
	github.com/golang/glog v0.0.0-20160126235308-23def4e6c14b
	// DEVIATION: required so that the replace below applies (json-iterator, used by apimachinery,
	// requires v1.0.1).
	github.com/modern-go/reflect2 v1.0.2
	// DEVIATION: a local module (local/k8s.io-ingress); see the replace below.
	k8s.io/ingress v0.0.0-00010101000000-000000000000
)

// DEVIATION: see the require above (arm/dns is only in the old SDK).
replace github.com/Azure/azure-sdk-for-go => github.com/Azure/azure-sdk-for-go v12.0.0-beta+incompatible

// DEVIATION: reflect2 v1.0.1 reaches into runtime map internals that changed in Go 1.18 and is
// known to crash there; v1.0.2 is the fixed release with the same API (as in the toolchain's
// Kubernetes 1.15 build).
replace github.com/modern-go/reflect2 => github.com/modern-go/reflect2 v1.0.2

// DEVIATION: 0.6.2 logs through github.com/golang/glog, the Kubernetes 1.14 libraries through
// k8s.io/klog (a fork of glog). Both define the same command-line flags (-v, -log_dir, ...) on the
// global flag set: glog in its init, klog when k8s.io/component-base/logs (linked into the webhook
// by k8s.io/apiserver) calls klog.InitFlags. Built together the webhook panics at start with
// "flag redefined: log_dir". With 1.10 libraries, as released, there was only glog. The local
// module forwards glog's functions to klog, so there is one logger with one set of flags (what
// Kubernetes did when it moved to klog, and what cert-manager did itself in v0.7/v0.8).
replace github.com/golang/glog => ./local/glog

// DEVIATION: the old k8s.io/ingress repository (0.9.6 in Gopkg.lock) is not served by the module
// proxy. 0.6.2 uses one identifier of it, class.IngressKey; the local module holds just that.
replace k8s.io/ingress => ./local/k8s.io-ingress
