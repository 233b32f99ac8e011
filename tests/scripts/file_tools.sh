# Everyday file tools in pipelines: find | wc, tar c | tar x, cp -a, sha256sum.
set -e
find /usr/lib/x86_64-linux-gnu -maxdepth 1 -name "*.so*" | wc -l
d=$(mktemp -d /tmp/tarx.XXXXXX)
mkdir -p $d/src/a/b; echo one > $d/src/a/f1; echo two > $d/src/a/b/f2; ln -s f1 $d/src/a/link; chmod 640 $d/src/a/f1
(cd $d/src && tar cf - .) | (mkdir $d/dst && cd $d/dst && tar xf -)
diff -r $d/src $d/dst && echo "tar pipe: same"
cp -a $d/src $d/copy && diff -r $d/src $d/copy && echo "cp -a: same"
stat -c '%a %F' $d/copy/a/f1 $d/copy/a/link
head -c 3000000 /usr/bin/bash | sha256sum | cut -c1-16
ls -la $d/dst/a | awk '{print $1, $NF}' | tail -n +2
rm -rf $d; echo cleaned
