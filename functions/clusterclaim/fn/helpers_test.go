/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package fn

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/crossplane/crossplane-runtime/v2/pkg/fieldpath"
	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
)

// Paths of the files the tests share with the packages and examples, so that what is tested is
// what ships.
const (
	compositionFile = "../../../package/configuration/composition.yaml"
	xrdFile         = "../../../package/configuration/xrd.yaml"
	examplesGlob    = "../../../examples/clusterclaim/*.yaml"
	// worldFiles hold the objects the example claims name: the default provider config, the
	// simulated vCenter's and the shared ClusterClass. Render tests pass the same files to
	// crossplane render.
	providerConfigFile = "../../../examples/provider/clusterproviderconfig.yaml"
	sharedClassFile    = "../../../examples/platform/standard-class.yaml"
	vsphereConfigFile  = "../testdata/vsphere-sim.yaml"
	casesGlob          = "../testdata/cases/*.yaml"
	goldenDir          = "../testdata/golden"
)

// annotationResourceName names an observed resource's composition resource name, as crossplane
// render's observed resources do.
const annotationResourceName = "crossplane.io/composition-resource-name"

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
		if err := d.Decode(&obj); err != nil {
			break
		}
		if len(obj) > 0 {
			out = append(out, obj)
		}
	}
	return out
}

// compositionInput returns the function input of the shipped Composition.
func compositionInput(t testing.TB) map[string]any {
	t.Helper()
	comp := fieldpath.Pave(readDocs(t, compositionFile)[0])
	in, err := comp.GetValue("spec.pipeline[0].input")
	if err != nil {
		t.Fatal(err)
	}
	return in.(map[string]any)
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

// newRequest is the request Crossplane sends for the claim, with the input and the observed
// composed resources (named by their composition resource name annotation).
func newRequest(t testing.TB, input, claim map[string]any, observed ...map[string]any) *fnv1.RunFunctionRequest {
	t.Helper()
	req := &fnv1.RunFunctionRequest{
		Meta:     &fnv1.RequestMeta{Tag: "test"},
		Input:    mustStruct(t, input),
		Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: mustStruct(t, claim)}},
	}
	if len(observed) > 0 {
		req.Observed.Resources = map[string]*fnv1.Resource{}
	}
	for _, o := range observed {
		name, _ := fieldpath.Pave(o).GetString("metadata.annotations[" + annotationResourceName + "]")
		req.Observed.Resources[name] = &fnv1.Resource{Resource: mustStruct(t, o)}
	}
	return req
}

// world returns the objects of the management plane the tests' claims live in: what
// worldFiles hold.
func world(t testing.TB) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, f := range []string{providerConfigFile, vsphereConfigFile, sharedClassFile} {
		out = append(out, readDocs(t, f)...)
	}
	return out
}

// run runs the function on the request as Crossplane does: while it requires resources the
// request lacks, it calls again with those resources, found among the world's objects.
func run(t testing.TB, req *fnv1.RunFunctionRequest) *fnv1.RunFunctionResponse {
	t.Helper()
	return runIn(t, req, world(t))
}

// maxRequirementCalls is how often Crossplane calls a function whose requirements keep changing.
const maxRequirementCalls = 5

// runIn is run in a world of the given objects.
func runIn(t testing.TB, req *fnv1.RunFunctionRequest, objs []map[string]any) *fnv1.RunFunctionResponse {
	t.Helper()
	for range maxRequirementCalls {
		rsp, err := (&Function{log: logging.NewNopLogger()}).RunFunction(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		missing := false
		for name := range rsp.GetRequirements().GetResources() {
			if _, ok := req.GetRequiredResources()[name]; !ok {
				missing = true
			}
		}
		if !missing {
			return rsp
		}
		req = withRequired(t, req, rsp.GetRequirements(), objs)
	}
	t.Fatalf("the function's requirements did not settle in %d calls", maxRequirementCalls)
	return nil
}

// resolved returns the request as Crossplane sends it on its final call: with the world's objects
// the function requires.
func resolved(t testing.TB, req *fnv1.RunFunctionRequest) *fnv1.RunFunctionRequest {
	t.Helper()
	rsp, err := (&Function{log: logging.NewNopLogger()}).RunFunction(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	return withRequired(t, req, rsp.GetRequirements(), world(t))
}

// withRequired returns a copy of the request with the objects that meet each requirement, as
// Crossplane fetches them: by API version, kind, name and (for namespaced kinds) namespace.
func withRequired(t testing.TB, req *fnv1.RunFunctionRequest, rq *fnv1.Requirements, objs []map[string]any) *fnv1.RunFunctionRequest {
	t.Helper()
	out := proto.Clone(req).(*fnv1.RunFunctionRequest)
	out.RequiredResources = map[string]*fnv1.Resources{}
	for name, sel := range rq.GetResources() {
		found := &fnv1.Resources{}
		for _, o := range objs {
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

// asYAML renders a response for golden files: stable, readable, and diffable.
func asYAML(t testing.TB, rsp *fnv1.RunFunctionResponse) []byte {
	t.Helper()
	j, err := protojson.Marshal(rsp)
	if err != nil {
		t.Fatal(err)
	}
	y, err := yaml.JSONToYAML(j)
	if err != nil {
		t.Fatal(err)
	}
	return y
}

// desiredObjects returns the desired composed resources as objects, keyed by resource name.
func desiredObjects(rsp *fnv1.RunFunctionResponse) map[string]map[string]any {
	out := map[string]map[string]any{}
	for name, r := range rsp.GetDesired().GetResources() {
		out[name] = r.GetResource().AsMap()
	}
	return out
}

// observedFrom turns desired objects into observed ones, as if Crossplane had applied them.
func observedFrom(desired map[string]map[string]any) []map[string]any {
	out := make([]map[string]any, 0, len(desired))
	for name, o := range desired {
		p := fieldpath.Pave(o)
		_ = p.SetValue("metadata.annotations["+annotationResourceName+"]", name)
		out = append(out, p.UnstructuredContent())
	}
	return out
}

func baseName(path string) string {
	return filepath.Base(path[:len(path)-len(filepath.Ext(path))])
}

// settled runs the function as a claim's first reconciles do when Cluster API keeps up: each call
// observes what the one before desired, with its ClusterClass reconciled, until the Cluster is
// desired too.
func settled(t testing.TB, input, claim map[string]any) *fnv1.RunFunctionResponse {
	t.Helper()
	rsp := run(t, newRequest(t, input, claim))
	if _, ok := rsp.GetDesired().GetResources()[resCluster]; ok {
		return rsp
	}
	return run(t, newRequest(t, input, claim, observedFrom(withClassReconciled(desiredObjects(rsp)))...))
}

// withClassReconciled marks the desired ClusterClass as Cluster API's ClusterClass controller
// leaves it once reconciled.
func withClassReconciled(desired map[string]map[string]any) map[string]map[string]any {
	if class, ok := desired[resClusterClass]; ok {
		p := fieldpath.Pave(class)
		_ = p.SetValue("metadata.generation", int64(1))
		_ = p.SetValue("status", map[string]any{
			"observedGeneration": int64(1),
			"conditions":         []any{map[string]any{"type": "VariablesReady", "status": "True", "reason": "VariablesReady"}},
		})
	}
	return desired
}
