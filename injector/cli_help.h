#pragma once
// The text under `injector --help`: examples and the exit codes (README.md's
// table says the same; keep them together).

namespace injector::cli {

inline constexpr const char* kExitCodes =
    "Exit codes:\n"
    "  0  success\n"
    "  1  unexpected failure in the CLI\n"
    "  2  bad flags or values, or an invalid playbook (nothing was sent)\n"
    "  3  the daemon could not be reached\n"
    "  4  the daemon rejected the request as invalid\n"
    "  5  no such fault, or no fault of the operation given to `revert --op` on any host\n"
    "  6  conflict: traffic control or an nf_tables table that injectord does not own, or a combination the kernel refuses\n"
    "  7  the daemon failed to apply or revert (kernel error)\n"
    "  8  the host's kernel lacks a feature the fault needs (see `injector capabilities`)\n"
    "  9  the daemon refuses this user (not root nor in its --allow-group) or, over https, our --cert\n"
    "  10 https: the daemon's certificate does not verify against --ca for that host (nothing was sent)\n"
    "  11 a fleet command failed on some hosts (the others were rolled back), some host is unreachable, or a held\n"
    "     fault was lost (--hold: reverted by someone else, or no renewal got through for a whole lease)\n";

inline constexpr const char* kExamples =
    "Examples:\n"
    "  injector fault apply --daemon unix:/run/injector/injectord.sock cut --dev eth0 --peer 10.77.2.0/24,fd77:0:2::/64 --for 5m\n"
    "  injector fault apply cut --dev eth0 --peer @sh-networks.txt --label drill=hz-sh\n"
    "  injector fault apply delay --dev eth0 --peer 10.77.3.0/24 --delay 30ms --jitter 5ms --distribution normal\n"
    "  injector fault apply loss --dev eth0 --peer 10.77.3.0/24 --loss 5% --loss-correlation 25%\n"
    "  injector fault apply loss --dev eth0 --peer 10.77.3.0/24 --gemodel 1%,10%,70%,0.1%\n"
    "  injector fault apply duplicate --dev eth0 --peer 10.77.3.0/24 --duplicate 2%\n"
    "  injector fault apply corrupt --dev eth0 --peer 10.77.3.0/24 --corrupt 0.5%\n"
    "  injector fault apply reorder --dev eth0 --peer 10.77.3.0/24 --delay 10ms --reorder 25% --gap 5\n"
    "  injector fault apply bandwidth --dev eth0 --peer 10.77.3.0/24 --rate 10mbit --burst 32kb\n"
    "  injector fault apply flap --dev eth0 --peer 10.77.3.0/24 --period 2s --down 30% --flap-jitter 100ms\n"
    "  injector fault apply delay --dev eth0 --peer 10.77.3.0/24 --proto tcp --dport 443 --delay 50ms --loss 1% --rate 10mbit\n"
    "  injector fault apply cut --dev eth0 --direction ingress --peer 10.77.3.7   # what 10.77.3.7 sends us\n"
    "  injector fault update f-0123456789ab --delay 200ms\n"
    "  injector fault list --output json\n"
    "  injector fault revert f-0123456789ab\n"
    "  injector fault revert --all\n"
    "  injector fault list --daemon https://10.0.0.5:8443 --cert me.pem --key me.key --ca daemons-ca.pem\n"
    "  injector inventory check fleet.yaml\n"
    "  injector partition --inventory fleet.yaml --isolate hz --dry-run\n"
    "  injector partition --inventory fleet.yaml --group hz,sh --group sz --for 10m\n"
    "  injector link --inventory fleet.yaml --between hz:sz delay --delay 30ms --jitter 5ms\n"
    "  injector status --inventory fleet.yaml; injector revert --inventory fleet.yaml --op op-1a2b3c4d\n"
    "  injector playbook validate playbooks/fiber-cut-hangzhou.yaml --var hold=30s\n"
    "  injector playbook plan playbooks/fiber-cut-hangzhou.yaml --inventory fleet.yaml   # timeline and per-host faults, nothing sent\n";

}  // namespace injector::cli
