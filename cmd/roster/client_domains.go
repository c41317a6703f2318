package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/rosterhq/roster/admin"
	"github.com/rosterhq/roster/directory"
)

func init() {
	rootCmd.AddCommand(group("domains", "Approved email domains: claim, verify by DNS, set what they do (on a server)",
		domainsListCmd(), domainsAddCmd(), domainsVerifyCmd(), domainsPolicyCmd(), domainsRemoveCmd()))
}

func printDomain(cmd *cobra.Command, o *outputFlag, d admin.Domain) error {
	return printOutput(cmd, o, d, func(w io.Writer) error {
		if err := keyValues(w, "ID", d.ID, "Domain", d.Domain, "Verified", d.Verified, "Policy", d.Policy, "Default role", d.DefaultRole); err != nil {
			return err
		}
		if !d.Verified {
			_, err := fmt.Fprintf(w, "\nTo verify, publish this DNS record, then run: roster domains verify %s\n\n  %s  TXT  %q\n", d.ID, d.TXTName, d.TXTValue)
			return err
		}
		return nil
	})
}

func domainsListCmd() *cobra.Command {
	return clientCmd("list", "List domains", cobra.NoArgs, false,
		func(cmd *cobra.Command, c *client, o *outputFlag, _ []string) error {
			var res admin.DomainList
			if err := c.call(cmd.Context(), "GET", c.wsPath("/domains"), nil, nil, &res); err != nil {
				return err
			}
			return printOutput(cmd, o, res.Domains, func(w io.Writer) error {
				t := newTable(w, "id", "domain", "verified", "policy", "default role", "txt record")
				for _, d := range res.Domains {
					t.row(d.ID, d.Domain, d.Verified, d.Policy, d.DefaultRole, d.TXTName+" "+d.TXTValue)
				}
				return t.flush()
			})
		})
}

func domainsAddCmd() *cobra.Command {
	return clientCmd("add DOMAIN", "Claim an email domain; prints the DNS TXT record that proves it is yours", cobra.ExactArgs(1), false,
		func(cmd *cobra.Command, c *client, o *outputFlag, args []string) error {
			var d admin.Domain
			if err := c.call(cmd.Context(), "POST", c.wsPath("/domains"), nil, map[string]string{"domain": args[0]}, &d); err != nil {
				return err
			}
			return printDomain(cmd, o, d)
		})
}

func domainsVerifyCmd() *cobra.Command {
	cmd := clientCmd("verify DOMAIN_ID | --trust DOMAIN", "Check the domain's TXT record and verify it; or, as the operator, mark a domain verified without DNS", cobra.RangeArgs(0, 1), false,
		func(cmd *cobra.Command, c *client, o *outputFlag, args []string) error {
			if len(args) != 1 {
				return usageErrorf("give the domain's id (roster domains list), or --trust DOMAIN")
			}
			var d admin.Domain
			if err := c.call(cmd.Context(), "POST", c.wsPath("/domains/%s/verify", args[0]), nil, nil, &d); err != nil {
				return err
			}
			return printDomain(cmd, o, d)
		})
	cmd.Flags().String("trust", "", "operator only, on the database (--database-url): mark this domain verified for --workspace without DNS, claiming it if needed")
	addDatabaseFlag(cmd)
	viaAPI := cmd.RunE
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		trust, _ := cmd.Flags().GetString("trust")
		if trust == "" {
			return viaAPI(cmd, args)
		}
		if len(args) != 0 {
			return usageErrorf("--trust names the domain; give no domain id with it")
		}
		return trustDomain(cmd, trust)
	}
	return cmd
}

// trustDomain is `domains verify --trust`: the operator's word instead of
// a DNS record, straight on the database, recorded as the operator's.
func trustDomain(cmd *cobra.Command, domain string) error {
	ws := setting(cmd, "workspace", envWorkspace)
	if ws == "" {
		return usageErrorf("which workspace? give --workspace or set %s", envWorkspace)
	}
	o, _ := cmd.Flags().Lookup("output").Value.(*outputFlag)
	d, err := openDirectory(cmd, directory.Options{})
	if err != nil {
		return err
	}
	defer d.Close()
	dom, err := d.TrustDomain(cmd.Context(), directory.Operator(), ws, domain)
	if err != nil {
		return commandError(err)
	}
	return printDomain(cmd, o, admin.DomainOf(dom))
}

func domainsPolicyCmd() *cobra.Command {
	var policy, role string
	cmd := clientCmd("policy DOMAIN_ID [--policy auto_join|request] [--default-role ROLE]", "Set what a verified domain does for people signing in with it", cobra.ExactArgs(1), false,
		func(cmd *cobra.Command, c *client, o *outputFlag, args []string) error {
			if policy == "" && role == "" {
				return usageErrorf("give --policy, --default-role or both")
			}
			var d admin.Domain
			if err := c.call(cmd.Context(), "PATCH", c.wsPath("/domains/%s", args[0]), nil, map[string]string{"policy": policy, "default_role": role}, &d); err != nil {
				return err
			}
			return printDomain(cmd, o, d)
		})
	cmd.Flags().StringVar(&policy, "policy", "", "auto_join (active member at once) or request (a join request for an admin)")
	cmd.Flags().StringVar(&role, "default-role", "", "role people get through the domain")
	return cmd
}

func domainsRemoveCmd() *cobra.Command {
	return clientCmd("remove DOMAIN_ID", "Remove a domain", cobra.ExactArgs(1), false,
		func(cmd *cobra.Command, c *client, o *outputFlag, args []string) error {
			if err := c.call(cmd.Context(), "DELETE", c.wsPath("/domains/%s", args[0]), nil, nil, nil); err != nil {
				return err
			}
			return done(cmd, o, "removed domain %s", args[0])
		})
}
