# proc.sh - stopping a process this script started (sourced by
# scripts/kafka.sh and scripts/lib/fleet.sh, so both stop the same way).
#
#   proc_reap PID SECONDS   after a SIGTERM: waits up to SECONDS for PID to
#                           exit; if it has not, SIGKILLs it and waits until
#                           it is gone. 0 if it stopped by itself, 1 if it
#                           needed SIGKILL.

proc_reap() {
        local pid=$1 deadline=$((SECONDS + $2)) i
        while kill -0 "$pid" 2>/dev/null; do
                if [ "$SECONDS" -ge "$deadline" ]; then
                        kill -KILL "$pid" 2>/dev/null || true
                        for ((i = 0; i < 50; i++)); do
                                kill -0 "$pid" 2>/dev/null || break
                                sleep 0.1
                        done
                        return 1
                fi
                sleep 0.1
        done
        return 0
}
