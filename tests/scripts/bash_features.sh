# What bash scripts lean on besides processes: process substitution and
# /dev/stdin (magic links to pipes), arrays, [[ ]], arithmetic, here-strings,
# coprocesses.
cat <(echo "process substitution")
diff <(printf 'a\nb\n') <(printf 'a\nb\n') && echo "diff of two substitutions: same"
echo "piped" | cat /dev/stdin
while read -r line; do echo "read: $line"; done < <(printf 'one\ntwo\n')
arr=(x y z); echo "array: ${arr[1]} ${#arr[@]}"
[[ "abc" == a* ]] && echo "pattern match"
echo "arithmetic: $(( (3 + 4) * 5 ))"
tr a-z A-Z <<< "here string"
coproc UPPER { tr a-z A-Z; }
echo "through a coprocess" >&"${UPPER[1]}"
exec {UPPER[1]}>&-
read -r reply <&"${UPPER[0]}"; echo "$reply"
wait
echo done
