# bash completion for supervise(1)                              -*- shell-script -*-

# Lock names of the state directory the command line would use (--state-dir, then
# SUPERVISE_STATE_DIR, then the default), from 'supervise list --json'. Quietly nothing
# when there is no state directory yet (a completion must not create one) or list fails.
_supervise_lock_names()
{
    local state=${SUPERVISE_STATE_DIR-} i
    for ((i = 1; i < ${#words[@]} - 1; i++)); do
        case ${words[i]} in
            --state-dir) state=${words[i + 1]} ;;
            --state-dir=*) state=${words[i]#--state-dir=} ;;
        esac
    done
    if [[ -z $state ]]; then
        if ((EUID == 0)); then
            state=/run/supervise
        elif [[ -n ${XDG_RUNTIME_DIR-} ]]; then
            state=$XDG_RUNTIME_DIR/supervise
        else
            return
        fi
    fi
    [[ -d $state ]] || return

    local json name
    json=$(timeout 2 "${words[0]}" list --json --state-dir "$state" 2>/dev/null) || return
    # Pools are the only objects that start with "name"; inside strings the quotes are escaped.
    while IFS= read -r name; do
        name=${name#\{\"name\": \"}
        name=${name%\"}
        name=${name//\\\"/\"}
        name=${name//\\\\/\\}
        [[ $name == "$cur"* ]] && COMPREPLY+=("$(printf '%q' "$name")")
    done < <(printf '%s\n' "$json" | grep -oE '\{"name": "([^"\\]|\\.)*"')
}

_supervise()
{
    local cur prev words cword split
    _init_completion -s || return

    local subcommands="doctor lock unlock check list kill kill-all task"
    local value_options="--memory --memory-high --swap --memory-warn --tasks --cpu --timeout
        --kill-after -C --chdir -E --setenv --log --result --lock --slots --exclude-cpus
        --wait -m --message --conflict-exit-code --state-dir --driver --cgroup-root"
    local flags="-h --help --version --json --dry-run -v --verbose -q --quiet"

    # The first word that is neither an option nor an option's value is a subcommand or
    # starts COMMAND; from there on COMMAND's own completion takes over.
    local i word subcommand="" command_at=0
    for ((i = 1; i < cword; i++)); do
        word=${words[i]}
        if [[ $word == -- ]]; then
            command_at=$((i + 1))
            break
        fi
        if [[ $word == -* ]]; then
            if [[ $word != *=* && " ${value_options//$'\n'/ } " == *" $word "* ]]; then
                ((i++))
            fi
            continue
        fi
        if [[ " $subcommands " == *" $word "* ]]; then
            subcommand=$word
        else
            command_at=$i
        fi
        break
    done
    if ((command_at > 0 && command_at <= cword)); then
        _command_offset $command_at
        return
    fi

    case $prev in
        --driver)
            COMPREPLY=($(compgen -W "auto systemd cgroup2 hybrid" -- "$cur"))
            return
            ;;
        -C | --chdir | --cgroup-root | --state-dir)
            _filedir -d
            return
            ;;
        --log | --result)
            _filedir
            return
            ;;
        --lock)
            _supervise_lock_names
            return
            ;;
        --slots)
            COMPREPLY=($(compgen -W "cpus" -- "$cur"))
            return
            ;;
        --signal)
            _signals
            return
            ;;
        --owner)
            _pids
            return
            ;;
        -E | --setenv)
            COMPREPLY=($(compgen -e -S = -- "$cur"))
            [[ ${COMPREPLY-} == *= ]] && compopt -o nospace
            return
            ;;
        --memory | --memory-high | --swap | --memory-warn | --tasks | --cpu | --timeout | \
            --kill-after | --exclude-cpus | --wait | -m | --message | --conflict-exit-code)
            return
            ;;
    esac
    $split && return

    local options
    case $subcommand in
        "") options="$flags ${value_options//$'\n'/ }" ;;
        doctor) options="-h --help --json" ;;
        lock) options="-h --help --owner --slots --exclude-cpus --wait -m --message
            --conflict-exit-code --state-dir -q --quiet" ;;
        unlock) options="-h --help --owner --state-dir" ;;
        check) options="-h --help --slots --exclude-cpus --state-dir" ;;
        list) options="-h --help --json --csv --state-dir" ;;
        kill) options="-h --help --signal --state-dir" ;;
        kill-all) options="-h --help --state-dir" ;;
        task) options="-h --help --state-dir" ;;
    esac

    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$options" -- "$cur"))
        [[ ${COMPREPLY-} == *= ]] && compopt -o nospace
        return
    fi

    case $subcommand in
        "")
            COMPREPLY=($(compgen -W "$subcommands" -- "$cur") $(compgen -c -- "$cur"))
            ;;
        task)
            # Only the verb for now; see 'supervise task VERB --help' for the rest.
            ((cword == i + 1)) &&
                COMPREPLY=($(compgen -W "start run wait status log kill reset list gc" -- "$cur"))
            ;;
        lock | unlock | check | list | kill)
            # One NAME: offer lock names until it is given.
            local seen=0 at
            for ((at = i + 1; at < cword; at++)); do
                case ${words[at]} in
                    --state-dir | --owner | --slots | --exclude-cpus | --wait | -m | --message | \
                        --conflict-exit-code | --signal) ((at++)) ;;
                    -*) ;;
                    *) seen=1 ;;
                esac
            done
            ((seen)) || _supervise_lock_names
            ;;
    esac
} &&
    complete -F _supervise supervise

# ex: filetype=sh
