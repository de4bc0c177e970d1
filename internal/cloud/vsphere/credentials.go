/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package vsphere

import (
	"encoding/json"
	"net/url"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// Credentials log in to a vCenter.
type Credentials struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// ParseCredentials reads the JSON object {"username": ..., "password": ...} a provider config's
// credentials hold.
func ParseCredentials(data []byte) (Credentials, error) {
	var c Credentials
	if len(data) == 0 {
		return c, errors.New(`the vsphere driver needs spec.credentials: a Secret key holding {"username": ..., "password": ...}`)
	}
	if err := json.Unmarshal(data, &c); err != nil {
		return c, errors.Wrap(err, `cannot parse the credentials named by spec.credentials as {"username": ..., "password": ...}`)
	}
	switch {
	case c.Username == "":
		return c, errors.New(`the credentials named by spec.credentials have no "username"`)
	case c.Password == "":
		return c, errors.New(`the credentials named by spec.credentials have no "password"`)
	}
	return c, nil
}

func (c Credentials) userinfo() *url.Userinfo {
	return url.UserPassword(c.Username, c.Password)
}
