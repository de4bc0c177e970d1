/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package inmemory

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/duration"
)

// tablePath matches the requests for Nodes and Pods kubectl asks to see as tables: lists and
// single objects, cluster-wide or in a namespace.
var tablePath = regexp.MustCompile(`^/api/v1/(?:namespaces/[^/]+/)?(nodes|pods)(?:/[^/]+)?$`)

// labelRolePrefix is where kubeadm and users put a Node's roles.
const labelRolePrefix = "node-role.kubernetes.io/"

// wantsTable reports whether a request asks for a table of Nodes or Pods, as kubectl get does.
func wantsTable(r *http.Request) bool {
	return r.Method == http.MethodGet && r.URL.Query().Get("watch") != "true" &&
		strings.Contains(r.Header.Get("Accept"), "as=Table") && tablePath.MatchString(r.URL.Path)
}

// serveTable answers a request for a table of Nodes or Pods with the columns a real API server
// gives kubectl (NAME, STATUS, ROLES, AGE, VERSION for Nodes; NAME, READY, STATUS, RESTARTS, AGE
// for Pods; more with -o wide). The in-memory library serves objects only, so the objects are
// read from it and turned into rows here.
func serveTable(api http.Handler, w http.ResponseWriter, r *http.Request) {
	plain := r.Clone(r.Context())
	plain.Header.Set("Accept", "application/json")
	rec := httptest.NewRecorder()
	api.ServeHTTP(rec, plain)
	if rec.Code != http.StatusOK {
		w.Header().Set("Content-Type", rec.Header().Get("Content-Type"))
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
		return
	}
	table, err := toTable(tablePath.FindStringSubmatch(r.URL.Path)[1], rec.Body.Bytes(), time.Now())
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(table)
}

// toTable turns the JSON of a Node, a Pod or a list of either into a table.
func toTable(resource string, body []byte, now time.Time) (*metav1.Table, error) {
	if resource == "nodes" {
		return rows(body, nodeColumns, func(n *corev1.Node) metav1.TableRow { return nodeRow(n, now) })
	}
	return rows(body, podColumns, func(p *corev1.Pod) metav1.TableRow { return podRow(p, now) })
}

// rows decodes the objects of body and makes a table of them with columns, a row each.
func rows[T any](body []byte, columns []metav1.TableColumnDefinition, row func(*T) metav1.TableRow) (*metav1.Table, error) {
	t := &metav1.Table{
		TypeMeta:          metav1.TypeMeta{APIVersion: metav1.SchemeGroupVersion.String(), Kind: "Table"},
		ColumnDefinitions: columns,
	}
	var items []T
	if err := decodeItems(body, &items, &t.ListMeta); err != nil {
		return nil, err
	}
	for i := range items {
		t.Rows = append(t.Rows, row(&items[i]))
	}
	return t, nil
}

// decodeItems reads a list into items and meta, or a single object into items.
func decodeItems[T any](body []byte, items *[]T, meta *metav1.ListMeta) error {
	var probe struct {
		Kind string `json:"kind"`
	}
	if err := json.Unmarshal(body, &probe); err != nil {
		return err
	}
	if strings.HasSuffix(probe.Kind, "List") {
		var list struct {
			Metadata metav1.ListMeta `json:"metadata"`
			Items    []T             `json:"items"`
		}
		if err := json.Unmarshal(body, &list); err != nil {
			return err
		}
		*items, *meta = list.Items, list.Metadata
		return nil
	}
	var one T
	if err := json.Unmarshal(body, &one); err != nil {
		return err
	}
	*items = []T{one}
	return nil
}

var nodeColumns = []metav1.TableColumnDefinition{
	{Name: "Name", Type: "string", Format: "name", Description: "Name of the Node."},
	{Name: "Status", Type: "string", Description: "Whether the Node is Ready, and schedulable."},
	{Name: "Roles", Type: "string", Description: "The Node's roles, from its node-role.kubernetes.io labels."},
	{Name: "Age", Type: "string", Description: "Time since the Node registered."},
	{Name: "Version", Type: "string", Description: "Kubelet version."},
	{Name: "Internal-IP", Type: "string", Priority: 1, Description: "Internal IP address."},
	{Name: "External-IP", Type: "string", Priority: 1, Description: "External IP address."},
	{Name: "OS-Image", Type: "string", Priority: 1, Description: "Operating system image."},
	{Name: "Kernel-Version", Type: "string", Priority: 1, Description: "Kernel version."},
	{Name: "Container-Runtime", Type: "string", Priority: 1, Description: "Container runtime and version."},
}

func nodeRow(n *corev1.Node, now time.Time) metav1.TableRow {
	status := "NotReady"
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
			status = "Ready"
		}
	}
	if n.Spec.Unschedulable {
		status += ",SchedulingDisabled"
	}
	var roles []string
	for k := range n.Labels {
		if r, ok := strings.CutPrefix(k, labelRolePrefix); ok && r != "" {
			roles = append(roles, r)
		}
	}
	sort.Strings(roles)
	return metav1.TableRow{
		Cells: []any{
			n.Name, status, orNone(strings.Join(roles, ",")), age(n.CreationTimestamp, now), n.Status.NodeInfo.KubeletVersion,
			orNone(address(n.Status.Addresses, corev1.NodeInternalIP)), orNone(address(n.Status.Addresses, corev1.NodeExternalIP)),
			orUnknown(n.Status.NodeInfo.OSImage), orUnknown(n.Status.NodeInfo.KernelVersion), orUnknown(n.Status.NodeInfo.ContainerRuntimeVersion),
		},
		Object: partialMetadata(n.ObjectMeta),
	}
}

var podColumns = []metav1.TableColumnDefinition{
	{Name: "Name", Type: "string", Format: "name", Description: "Name of the Pod."},
	{Name: "Ready", Type: "string", Description: "Ready containers of all containers."},
	{Name: "Status", Type: "string", Description: "The Pod's phase, or why it is not running."},
	{Name: "Restarts", Type: "string", Description: "Container restarts."},
	{Name: "Age", Type: "string", Description: "Time since the Pod was created."},
	{Name: "IP", Type: "string", Priority: 1, Description: "The Pod's IP address."},
	{Name: "Node", Type: "string", Priority: 1, Description: "The Node the Pod runs on."},
}

func podRow(p *corev1.Pod, now time.Time) metav1.TableRow {
	ready, restarts := 0, int32(0)
	for _, c := range p.Status.ContainerStatuses {
		if c.Ready {
			ready++
		}
		restarts += c.RestartCount
	}
	status := string(p.Status.Phase)
	if p.Status.Reason != "" {
		status = p.Status.Reason
	}
	if p.DeletionTimestamp != nil {
		status = "Terminating"
	}
	return metav1.TableRow{
		Cells: []any{
			p.Name, fmt.Sprintf("%d/%d", ready, len(p.Spec.Containers)), orUnknown(status), restarts, age(p.CreationTimestamp, now),
			orNone(p.Status.PodIP), orNone(p.Spec.NodeName),
		},
		Object: partialMetadata(p.ObjectMeta),
	}
}

// partialMetadata is the row's object as kubectl asks for it by default (includeObject=Metadata).
func partialMetadata(m metav1.ObjectMeta) runtime.RawExtension {
	b, _ := json.Marshal(metav1.PartialObjectMetadata{
		TypeMeta:   metav1.TypeMeta{APIVersion: metav1.SchemeGroupVersion.String(), Kind: "PartialObjectMetadata"},
		ObjectMeta: m,
	})
	return runtime.RawExtension{Raw: b}
}

func age(created metav1.Time, now time.Time) string {
	if created.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(now.Sub(created.Time))
}

func address(as []corev1.NodeAddress, t corev1.NodeAddressType) string {
	if i := slices.IndexFunc(as, func(a corev1.NodeAddress) bool { return a.Type == t }); i >= 0 {
		return as[i].Address
	}
	return ""
}

func orNone(s string) string { return orDefault(s, "<none>") }

func orUnknown(s string) string { return orDefault(s, "<unknown>") }

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
