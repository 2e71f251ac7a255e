#!/bin/bash
# Run as a command under supervise: prints the limits the kernel holds for the cgroup this
# process is in, one "key value" per line, whatever the cgroup world:
#   memory_max, memory_high, swap_max, tasks_max  bytes / count, or "max" for none
#   cpu_ratio   quota/period (0.5 = 50% of one CPU), or "max"
#   memory_dir, pids_dir, unified_dir   the directories they were read from
#   memory_files  v1 or v2
# Controllers mounted as cgroup v1 (hybrid hosts) are read from their v1 hierarchy
# (memory.limit_in_bytes, memory.soft_limit_in_bytes, memory.memsw.limit_in_bytes,
# pids.max, cpu.cfs_quota_us); the others from the unified hierarchy (memory.max, ...).
set -u

# mount point and root of the hierarchy holding each controller ("unified": cgroup2)
declare -A mnt mroot
while read -r line; do
    pre=${line%% - *}
    post=${line#* - }
    read -r _ _ _ root point _ <<<"$pre"
    read -r fstype _ superopts <<<"$post"
    case "$fstype" in
    cgroup2) mnt[unified]=$point; mroot[unified]=$root ;;
    cgroup)
        IFS=, read -r -a opts <<<"$superopts"
        for o in "${opts[@]}"; do
            case "$o" in memory | pids | cpu) mnt[$o]=$point; mroot[$o]=$root ;; esac
        done
        ;;
    esac
done </proc/self/mountinfo

# dir_of CONTROLLER: the directory of this process's cgroup for it
dir_of() {
    local c=$1 id ctrl path key=
    while IFS=: read -r id ctrl path; do
        if [ "$c" != unified ] && [ -n "${mnt[$c]+x}" ] && [[ ",$ctrl," == *",$c,"* ]]; then key=$c
        elif [ -z "$ctrl" ] && { [ "$c" = unified ] || [ -z "${mnt[$c]+x}" ]; }; then key=unified
        else continue
        fi
        local root=${mroot[$key]}
        [ "$root" = / ] && root=
        path=${path#"$root"}
        echo "${mnt[$key]}$path"
        return 0
    done </proc/self/cgroup
    return 1
}

read_or() { cat "$1" 2>/dev/null || echo "${2:-missing}"; }
v1_bytes() {  # v1 reports "no limit" as a huge number
    local v; v=$(read_or "$1")
    if [ "$v" != missing ] && [ "${#v}" -ge 18 ]; then echo max; else echo "$v"; fi
}

unified=$(dir_of unified)
memory=$(dir_of memory)
pids=$(dir_of pids)
cpu=$(dir_of cpu)
echo "unified_dir $unified"
echo "memory_dir $memory"
echo "pids_dir $pids"
if [ -n "${mnt[memory]+x}" ]; then
    echo "memory_files v1"
    mem=$(v1_bytes "$memory/memory.limit_in_bytes")
    echo "memory_max $mem"
    echo "memory_high $(v1_bytes "$memory/memory.soft_limit_in_bytes")"
    memsw=$(v1_bytes "$memory/memory.memsw.limit_in_bytes")
    if [ "$memsw" = max ] || [ "$memsw" = missing ] || [ "$mem" = max ]; then echo "swap_max $memsw"
    else echo "swap_max $((memsw - mem))"; fi
else
    echo "memory_files v2"
    echo "memory_max $(read_or "$memory/memory.max")"
    echo "memory_high $(read_or "$memory/memory.high")"
    echo "swap_max $(read_or "$memory/memory.swap.max")"
fi
echo "tasks_max $(read_or "$pids/pids.max")"
if [ -n "${mnt[cpu]+x}" ]; then
    q=$(read_or "$cpu/cpu.cfs_quota_us")
    p=$(read_or "$cpu/cpu.cfs_period_us")
    if [ "$q" = -1 ]; then echo "cpu_ratio max"
    elif [ "$q" = missing ] || [ "$p" = missing ]; then echo "cpu_ratio missing"
    else awk -v q="$q" -v p="$p" 'BEGIN{printf "cpu_ratio %.4f\n", q/p}'; fi
else
    read -r q p <<<"$(read_or "$cpu/cpu.max" "missing missing")"   # (no /dev/fd needed)
    if [ "$q" = max ] || [ "$q" = missing ]; then echo "cpu_ratio $q"
    else awk -v q="$q" -v p="$p" 'BEGIN{printf "cpu_ratio %.4f\n", q/p}'; fi
fi
