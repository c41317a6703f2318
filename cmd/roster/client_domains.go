package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/rosterhq/roster/admin"
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
	return clientCmd("verify DOMAIN_ID", "Check the domain's TXT record and verify it", cobra.ExactArgs(1), false,
		func(cmd *cobra.Command, c *client, o *outputFlag, args []string) error {
			var d admin.Domain
			if err := c.call(cmd.Context(), "POST", c.wsPath("/domains/%s/verify", args[0]), nil, nil, &d); err != nil {
				return err
			}
			return printDomain(cmd, o, d)
		})
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
