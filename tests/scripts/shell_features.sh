# What shell scripts do: command substitution, pipelines, subshells, here
# documents, background jobs and wait, trap, kill, loops, redirections.
echo start
x=$(echo sub; echo two)
echo "cmdsub: $x"
echo a b c | tr ' ' '\n' | sort -r | head -2
( echo in subshell; exit 3 ); echo "subshell status $?"
cat <<END
here doc $x
END
sleep 0.1 &
pid=$!
wait $pid; echo "waited $?"
trap 'echo trapped USR1' USR1
kill -USR1 $$
echo after trap
sh -c 'kill -TERM $$'; echo "killed status $?"
for i in 1 2 3; do echo "loop $i"; done | wc -l
f=$(mktemp /tmp/shtest.XXXXXX); echo data > "$f"; echo "lines: $(wc -l < "$f")"; rm "$f"
(sleep 5; echo never) & bg=$!; kill $bg; wait $bg; echo "bg killed $?"
echo "exit codes: $(true; echo $?) $(false; echo $?)"
echo done
