/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/fieldpath"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
)

// Files the benchmark shares with the function's tests and the packages, so that both functions
// are called with what ships.
const (
	compositionFile = repoRoot + "/package/configuration/composition.yaml"
	claimFile       = repoRoot + "/examples/clusterclaim/basic.yaml"
	// The objects the function's tests and crossplane render give it as required resources.
	providerConfigFile = repoRoot + "/examples/provider/clusterproviderconfig.yaml"
	vsphereConfigFile  = repoRoot + "/functions/clusterclaim/testdata/vsphere-sim.yaml"
	sharedClassFile    = repoRoot + "/examples/platform/standard-class.yaml"
	// clusterFile is the claim's Cluster as Cluster API reports it once available.
	clusterFile = "testdata/cluster.yaml"
	// templateFile is function-go-templating's input: the template that composes what the
	// ClusterClaim function does.
	templateFile = "../clusterclaim.tmpl"
)

// annotationResourceName names an observed resource's composition resource name, as Crossplane
// sets it on what it composes.
const annotationResourceName = "crossplane.io/composition-resource-name"

// maxRequirementCalls is how often Crossplane calls a function whose requirements keep changing.
const maxRequirementCalls = 5

// requests are the same call of a claim's steady state to each function: only the input differs.
type requests struct {
	capstan, peer, noop *fnv1.RunFunctionRequest
}

// steadyState returns the requests Crossplane sends for the example claim with the given number
// of worker pools once its objects exist: observed is what a first call desired plus an
// available Cluster, with the required resources the ClusterClaim function asks for.
func steadyState(t testing.TB, c fnv1.FunctionRunnerServiceClient, pools int) requests {
	t.Helper()
	input, claim := compositionInput(t), claimWithPools(t, pools)
	first := settle(t, c, newRequest(t, input, claim, nil))
	observed := map[string]map[string]any{}
	for name, r := range first.GetDesired().GetResources() {
		o := fieldpath.Pave(r.GetResource().AsMap())
		if err := o.SetValue("metadata.annotations["+annotationResourceName+"]", name); err != nil {
			t.Fatal(err)
		}
		observed[name] = o.UnstructuredContent()
	}
	observed["cluster"] = readDocs(t, clusterFile)[0]

	req := newRequest(t, input, claim, observed)
	req = withRequired(t, req, call(t, c, req).GetRequirements())
	peer := proto.Clone(req).(*fnv1.RunFunctionRequest)
	peer.Input = mustStruct(t, peerInput(t))
	return requests{capstan: req, peer: peer, noop: req}
}

// claimWithPools returns the example claim with n worker pools of every size in turn, as the
// function's own benchmark files them.
func claimWithPools(t testing.TB, n int) map[string]any {
	t.Helper()
	claim := readDocs(t, claimFile)[0]
	sizes := []string{"small", "medium", "large"}
	workers := make([]any, 0, n)
	for i := range n {
		workers = append(workers, map[string]any{
			"name": fmt.Sprintf("pool-%d", i), "size": sizes[i%len(sizes)], "replicas": 2,
			"labels": map[string]any{"pool": fmt.Sprintf("pool-%d", i)},
		})
	}
	claim["spec"].(map[string]any)["workers"] = workers
	return claim
}

// compositionInput returns the function input of the shipped Composition.
func compositionInput(t testing.TB) map[string]any {
	t.Helper()
	in, err := fieldpath.Pave(readDocs(t, compositionFile)[0]).GetValue("spec.pipeline[0].input")
	if err != nil {
		t.Fatal(err)
	}
	return in.(map[string]any)
}

// peerInput returns function-go-templating's input: the template, inline, as a Composition
// step would hold it.
func peerInput(t testing.TB) map[string]any {
	t.Helper()
	tmpl, err := os.ReadFile(templateFile)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]any{
		"apiVersion": "gotemplating.fn.crossplane.io/v1beta1",
		"kind":       "GoTemplate",
		"source":     "Inline",
		"inline":     map[string]any{"template": string(tmpl)},
	}
}

// newRequest is the request Crossplane sends for the claim, with the input and the observed
// composed resources.
func newRequest(t testing.TB, input, claim map[string]any, observed map[string]map[string]any) *fnv1.RunFunctionRequest {
	t.Helper()
	req := &fnv1.RunFunctionRequest{
		Meta:     &fnv1.RequestMeta{Tag: "bench"},
		Input:    mustStruct(t, input),
		Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: mustStruct(t, claim)}},
	}
	if len(observed) > 0 {
		req.Observed.Resources = map[string]*fnv1.Resource{}
	}
	for name, o := range observed {
		req.Observed.Resources[name] = &fnv1.Resource{Resource: mustStruct(t, o)}
	}
	return req
}

// settle calls the function as Crossplane does: while it requires resources the request lacks,
// it calls again with them.
func settle(t testing.TB, c fnv1.FunctionRunnerServiceClient, req *fnv1.RunFunctionRequest) *fnv1.RunFunctionResponse {
	t.Helper()
	for range maxRequirementCalls {
		rsp := call(t, c, req)
		missing := false
		for name := range rsp.GetRequirements().GetResources() {
			if _, ok := req.GetRequiredResources()[name]; !ok {
				missing = true
			}
		}
		if !missing {
			return rsp
		}
		req = withRequired(t, req, rsp.GetRequirements())
	}
	t.Fatalf("the function's requirements did not settle in %d calls", maxRequirementCalls)
	return nil
}

func call(t testing.TB, c fnv1.FunctionRunnerServiceClient, req *fnv1.RunFunctionRequest) *fnv1.RunFunctionResponse {
	t.Helper()
	rsp, err := c.RunFunction(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	return rsp
}

// withRequired returns a copy of the request with the objects that meet each requirement, as
// Crossplane fetches them: by API version, kind, name and (for namespaced kinds) namespace.
func withRequired(t testing.TB, req *fnv1.RunFunctionRequest, rq *fnv1.Requirements) *fnv1.RunFunctionRequest {
	t.Helper()
	var world []map[string]any
	for _, f := range []string{providerConfigFile, vsphereConfigFile, sharedClassFile} {
		world = append(world, readDocs(t, f)...)
	}
	out := proto.Clone(req).(*fnv1.RunFunctionRequest)
	out.RequiredResources = map[string]*fnv1.Resources{}
	for name, sel := range rq.GetResources() {
		found := &fnv1.Resources{}
		for _, o := range world {
			u := &unstructured.Unstructured{Object: o}
			if u.GetAPIVersion() == sel.GetApiVersion() && u.GetKind() == sel.GetKind() &&
				u.GetName() == sel.GetMatchName() && u.GetNamespace() == sel.GetNamespace() {
				found.Items = append(found.Items, &fnv1.Resource{Resource: mustStruct(t, o)})
			}
		}
		out.RequiredResources[name] = found
	}
	return out
}

// readDocs reads every YAML document of a file as an object.
func readDocs(t testing.TB, path string) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	d := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(b), 4096)
	for {
		obj := map[string]any{}
		if err := d.Decode(&obj); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if len(obj) > 0 {
			out = append(out, obj)
		}
	}
	return out
}

func mustStruct(t testing.TB, v any) *structpb.Struct {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	s := &structpb.Struct{}
	if err := protojson.Unmarshal(b, s); err != nil {
		t.Fatal(err)
	}
	return s
}
