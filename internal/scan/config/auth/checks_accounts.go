package auth

import (
	"context"
	"fmt"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/rootfs"
	"github.com/secpipe/secpipe/internal/scan/config"
)

// accountChecks cover the account databases themselves.
func accountChecks() []config.Check {
	return append(identityChecks(), groupChecks()...)
}

// identityChecks cover passwords and IDs in the account databases.
func identityChecks() []config.Check {
	return []config.Check{
		newCheck("auth-empty-passwords", "No account has an empty password", pipeline.SeverityCritical,
			[]string{shadowPath, passwdPath},
			"An account with an empty password field can be entered by anyone who knows its name, "+
				"wherever empty passwords are accepted (nullok, PermitEmptyPasswords, su).",
			"Lock the account (passwd -l USER) or set a password; remove unused accounts.",
			[]string{cis("Ensure /etc/shadow password fields are not empty"), "shadow(5)"},
			emptyPasswordResults),
		newCheck("auth-shadowed-passwords", "Accounts use shadowed passwords", pipeline.SeverityHigh,
			[]string{passwdPath},
			"etc/passwd is world-readable; its password field must be 'x' so that the hash lives in "+
				"etc/shadow, readable by root only.",
			"Run pwconv to move hashes into /etc/shadow.",
			[]string{cis("Ensure accounts in /etc/passwd use shadowed passwords"), "pwconv(8)"},
			shadowedResults),
		newCheck("auth-uid0-accounts", "root is the only UID 0 account", pipeline.SeverityHigh,
			[]string{passwdPath},
			"Every UID 0 account is root under another name: a second one is a classic backdoor and "+
				"escapes the controls and audit trail set up for root.",
			"Remove the extra UID 0 accounts or give them their own UIDs (usermod -u).",
			[]string{cis("Ensure root is the only UID 0 account"), "passwd(5)"},
			uid0Results),
		newCheck("auth-duplicate-uids", "No two accounts share a UID", pipeline.SeverityLow,
			[]string{passwdPath},
			"Accounts sharing a UID share every file and permission, and logs cannot tell them apart.",
			"Give each account its own UID (usermod -u) and fix the ownership of its files.",
			[]string{cis("Ensure no duplicate UIDs exist"), "passwd(5)"},
			duplicateResults(passwdPath, 2, "UID")),
		newCheck("auth-duplicate-gids", "No two groups share a GID", pipeline.SeverityLow,
			[]string{groupPath},
			"Groups sharing a GID grant each other's access silently.",
			"Give each group its own GID (groupmod -g) and fix the group ownership of its files.",
			[]string{cis("Ensure no duplicate GIDs exist"), "group(5)"},
			duplicateResults(groupPath, 2, "GID")),
	}
}

// groupChecks cover names, shells and group memberships.
func groupChecks() []config.Check {
	return []config.Check{
		newCheck("auth-duplicate-names", "Account and group names are unique", pipeline.SeverityMedium,
			[]string{passwdPath, shadowPath, groupPath},
			"With two entries of one name, which one a program uses depends on its lookup order: "+
				"a shadowed duplicate can carry a different UID or password.",
			"Rename or remove the duplicate entries (usermod -l, groupmod -n).",
			[]string{cis("Ensure no duplicate user names exist"), cis("Ensure no duplicate group names exist")},
			duplicateNameResults),
		newCheck("auth-system-accounts-nologin", "System accounts cannot log in", pipeline.SeverityMedium,
			[]string{passwdPath, loginDefsPath},
			"Accounts below UID_MIN run services and need no interactive shell; a shell lets anyone who "+
				"obtains one of their credentials, or a service exploit, log in. root, sync, shutdown and "+
				"halt are exempt.",
			"usermod -s /usr/sbin/nologin ACCOUNT for each system account listed.",
			[]string{cis("Ensure system accounts do not have a valid login shell"), "nologin(8)"},
			nologinResults),
		newCheck("auth-shadow-group-empty", "The shadow group has no members", pipeline.SeverityMedium,
			[]string{groupPath, passwdPath},
			"Members of group shadow can read etc/shadow and crack every password hash offline.",
			"Remove all members from the shadow group (gpasswd -d USER shadow) and change the primary "+
				"group of accounts that have it.",
			[]string{cis("Ensure shadow group is empty"), "group(5)"},
			shadowGroupResults),
		newCheck("auth-root-gid", "root's primary group is GID 0", pipeline.SeverityLow,
			[]string{passwdPath},
			"Files root creates get its primary group; any other group would gain access to them.",
			"usermod -g 0 root",
			[]string{cis("Ensure default group for the root account is GID 0"), "passwd(5)"},
			rootGIDResults),
		newCheck("auth-passwd-groups-exist", "Every account's group exists", pipeline.SeverityLow,
			[]string{passwdPath, groupPath},
			"A primary GID missing from etc/group is a leftover of a deleted group; whoever later gets "+
				"that GID inherits the account's group access.",
			"Create the missing groups or change the accounts' primary group (usermod -g).",
			[]string{cis("Ensure all groups in /etc/passwd exist in /etc/group"), "group(5)"},
			groupsExistResults),
	}
}

// at formats a record's location.
func at(db accountDB, rec record) string { return fmt.Sprintf("%s:%d", db.Path, rec.Line) }

func emptyPasswordResults(_ context.Context, r rootfs.Root) ([]config.Result, error) {
	shadow, err := loadShadow(r)
	if err != nil {
		return nil, err
	}
	passwd, err := loadPasswd(r)
	if err != nil {
		return nil, err
	}
	if !shadow.Present && !passwd.Present {
		return notApplicable("no %s and no %s", shadowPath, passwdPath), nil
	}
	var out []config.Result
	for _, db := range []accountDB{shadow, passwd} {
		if !db.Present {
			continue
		}
		bad := 0
		for _, rec := range db.Records {
			if rec.field(1) == "" {
				bad++
				out = append(out, fail(db.Path, rec.Line, "account %s has an empty password field (%s)", rec.field(0), at(db, rec)))
			}
		}
		if bad == 0 {
			out = append(out, pass(db.Path, 0, "%s: %d accounts, none with an empty password field", db.Path, len(db.Records)))
		}
	}
	return out, nil
}

func shadowedResults(_ context.Context, r rootfs.Root) ([]config.Result, error) {
	passwd, err := loadPasswd(r)
	if err != nil || !passwd.Present {
		return notApplicable("no %s", passwdPath), err
	}
	var out []config.Result
	for _, rec := range passwd.Records {
		pw := rec.field(1)
		switch {
		case pw == "x":
			continue
		case classifyHash(pw) == hashUsable:
			out = append(out, fail(passwd.Path, rec.Line, "account %s keeps its password hash in world-readable %s (%s)", rec.field(0), passwdPath, at(passwd, rec)))
		case pw == "":
			out = append(out, fail(passwd.Path, rec.Line, "account %s has an empty password field instead of 'x' (%s)", rec.field(0), at(passwd, rec)))
		default:
			out = append(out, fail(passwd.Path, rec.Line, "account %s has a locked entry instead of 'x' (%s)", rec.field(0), at(passwd, rec)))
		}
	}
	if len(out) == 0 {
		out = append(out, pass(passwdPath, 0, "%s: all %d accounts use shadowed passwords", passwdPath, len(passwd.Records)))
	}
	return out, nil
}

func uid0Results(_ context.Context, r rootfs.Root) ([]config.Result, error) {
	passwd, err := loadPasswd(r)
	if err != nil || !passwd.Present {
		return notApplicable("no %s", passwdPath), err
	}
	var out []config.Result
	for _, rec := range passwd.Records {
		if uid, ok := rec.num(2); !ok || uid != 0 {
			continue
		}
		name := rec.field(0)
		if name == "root" {
			out = append(out, pass(passwd.Path, rec.Line, "root has UID 0 (%s)", at(passwd, rec)))
			continue
		}
		out = append(out, fail(passwd.Path, rec.Line, "account %s has UID 0 (%s)", name, at(passwd, rec)))
	}
	if len(out) == 0 {
		return notApplicable("no UID 0 account in %s", passwdPath), nil
	}
	return out, nil
}
