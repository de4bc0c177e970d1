/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package vsphere

import (
	"context"
	"time"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/task"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// taskPoll is how often a task's state is read at first; the interval doubles up to taskPollMax.
const (
	taskPoll    = 100 * time.Millisecond
	taskPollMax = 2 * time.Second
)

// WaitTask returns once the task t started has ended, with its error if it failed; err is the
// error of starting it. It reads the task's state rather than waiting on a property collector:
// a collector's wait outlives a cancelled call on the server, and vcsim can miss a task's last
// update under concurrent tasks.
func WaitTask(ctx context.Context, t *object.Task, err error) error {
	if err != nil {
		return err
	}
	b := wait.Backoff{Duration: taskPoll, Factor: 2, Cap: taskPollMax, Steps: 1 << 30}
	var result error
	err = wait.ExponentialBackoffWithContext(ctx, b, func(ctx context.Context) (bool, error) {
		var mt mo.Task
		if err := t.Properties(ctx, t.Reference(), []string{"info"}, &mt); err != nil {
			return false, errors.Wrap(err, "cannot read the task's state")
		}
		switch mt.Info.State {
		case types.TaskInfoStateSuccess:
			return true, nil
		case types.TaskInfoStateError:
			result = task.Error{LocalizedMethodFault: mt.Info.Error, Description: mt.Info.Description}
			return true, nil
		}
		return false, nil
	})
	if err != nil {
		return err
	}
	return result
}
