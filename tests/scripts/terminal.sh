# script(1) runs a command on a new pty: tty names the slave, stty reads and
# changes its settings, a canonical-mode read gets a line typed through it.
script -qec 'tty | sed "s/[0-9][0-9]*\$/N/"; stty size; stty -g | cut -d: -f1-4; stty raw -echo; stty -g | cut -d: -f1-4; test -t 0 && echo stdin is a tty' /dev/null < /dev/null | od -c | sed 's/^[0-7]* *//'
printf 'typed line\n' | script -qec 'read -r x; echo "got: $x"' /dev/null | od -c | sed 's/^[0-7]* *//'
echo done
