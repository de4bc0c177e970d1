// Package loadbalancer reconciles LoadBalancer managed resources with the cloud their provider
// config selects.
package loadbalancer

import (
	"context"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/handler"

	"github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/event"
	"github.com/crossplane/crossplane-runtime/v2/pkg/feature"
	"github.com/crossplane/crossplane-runtime/v2/pkg/ratelimiter"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	"github.com/crossplane/crossplane-runtime/v2/pkg/statemetrics"

	computev1alpha1 "github.com/capstan-dev/capstan/apis/compute/v1alpha1"
	"github.com/capstan-dev/capstan/apis/network/v1alpha1"
	"github.com/capstan-dev/capstan/internal/controller/config"
	"github.com/capstan-dev/capstan/internal/controller/poll"
)

const (
	errTrackUsage    = "cannot track ProviderConfig usage"
	errResolveConfig = "cannot resolve the provider config"
	errStateMetrics  = "cannot register the LoadBalancer state metrics recorder"
)

// +kubebuilder:rbac:groups=network.capstan.dev,resources=loadbalancers,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=network.capstan.dev,resources=loadbalancers/status,verbs=update;patch
// +kubebuilder:rbac:groups=compute.capstan.dev,resources=instances,verbs=get;list;watch
// +kubebuilder:rbac:groups=capstan.dev,resources=providerconfigs;clusterproviderconfigs,verbs=get;list;watch
// +kubebuilder:rbac:groups=capstan.dev,resources=providerconfigusages,verbs=get;list;watch;create;update;patch
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch;create;update;delete
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch

// Setup adds a controller that reconciles LoadBalancers. configs resolves each LoadBalancer's
// provider config to its cloud driver. Instance references are resolved to the Instances'
// external names (their cloud IDs) before every reconcile, and a change to an Instance wakes the
// LoadBalancers that name it.
func Setup(mgr ctrl.Manager, o controller.Options, configs config.Resolver) error {
	name := managed.ControllerName(v1alpha1.LoadBalancerGroupKind)

	opts := []managed.ReconcilerOption{
		managed.WithTypedExternalConnector[*v1alpha1.LoadBalancer](&connector{
			usage:   config.NewUsageTracker(mgr.GetClient()),
			configs: configs,
		}),
		// NOTE: no initializer: the external name is the cloud ID, set by Create. It is derived
		// from the namespace and name, so a create that was cut short can safely be retried.
		managed.WithInitializers(),
		managed.WithReferenceResolver(localReferences{updatingResolver{kube: mgr.GetClient()}}),
		managed.WithDeterministicExternalName(true),
		// NOTE: a driver finds what it created at once (cloud.Driver's contract), so there is no
		// need to wait before trusting that a resource is gone.
		managed.WithCreationGracePeriod(0),
		managed.WithLogger(o.Logger.WithValues("controller", name)),
		managed.WithPollInterval(o.PollInterval),
		managed.WithPollIntervalHook(poll.UntilReady(poll.PendingInterval)),
		managed.WithRecorder(event.NewAPIRecorder(mgr.GetEventRecorderFor(name))), //nolint:staticcheck // crossplane-runtime's events still need a record.EventRecorder.
	}
	if o.Features.Enabled(feature.EnableBetaManagementPolicies) {
		opts = append(opts, managed.WithManagementPolicies())
	}
	if o.MetricOptions != nil {
		opts = append(opts, managed.WithMetricRecorder(o.MetricOptions.MRMetrics))
		if o.MetricOptions.MRStateMetrics != nil {
			sm := statemetrics.NewMRStateRecorder(mgr.GetClient(), o.Logger, o.MetricOptions.MRStateMetrics, &v1alpha1.LoadBalancerList{}, o.MetricOptions.PollStateMetricInterval)
			if err := mgr.Add(sm); err != nil {
				return errors.Wrap(err, errStateMetrics)
			}
		}
	}

	r := managed.NewReconciler(mgr, resource.ManagedKind(v1alpha1.LoadBalancerGroupVersionKind), opts...)

	return ctrl.NewControllerManagedBy(mgr).
		Named(name).
		WithOptions(o.ForControllerRuntime()).
		WithEventFilter(resource.DesiredStateChanged()).
		For(&v1alpha1.LoadBalancer{}).
		Watches(&computev1alpha1.Instance{}, handler.EnqueueRequestsFromMapFunc(backendsOf(mgr.GetClient()))).
		Complete(ratelimiter.NewReconciler(name, r, o.GlobalRateLimiter))
}

// connector connects a LoadBalancer to the cloud driver of its provider config.
type connector struct {
	usage   resource.ModernTracker
	configs config.Resolver
}

// Connect records the LoadBalancer's use of its provider config and returns a client of its cloud.
func (c *connector) Connect(ctx context.Context, cr *v1alpha1.LoadBalancer) (managed.TypedExternalClient[*v1alpha1.LoadBalancer], error) {
	if err := c.usage.Track(ctx, cr); err != nil {
		return nil, errors.Wrap(err, errTrackUsage)
	}
	cfg, err := c.configs.Resolve(ctx, cr)
	if err != nil {
		return nil, errors.Wrap(err, errResolveConfig)
	}
	return &external{driver: cfg.Driver}, nil
}
