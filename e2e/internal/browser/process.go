package browser

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// A process is a program started in a process group of its own, so that
// stopping it also stops every process it started: a browser's content
// processes, or WebKitWebDriver's MiniBrowser.
type process struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when the program has exited
	err  error         // its exit status, once done is closed
}

// startProcess starts cmd in a process group of its own. Each line the
// program writes to its stdout or stderr goes to onLine, when not nil, and
// to lines, which the caller reads to find what the program announces, when
// not nil (lines is closed when the program's output ends).
func startProcess(cmd *exec.Cmd, onLine func(string), lines chan<- string) (*process, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	r, w := io.Pipe()
	cmd.Stdout = w
	cmd.Stderr = w
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("cannot start %s: %w", cmd.Path, err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		scanner := bufio.NewScanner(r)
		scanner.Buffer(make([]byte, 64<<10), 1<<20)
		for scanner.Scan() {
			line := scanner.Text()
			if onLine != nil {
				onLine(line)
			}
			if lines != nil {
				select {
				case lines <- line:
				default: // nobody is reading any more
				}
			}
		}
		io.Copy(io.Discard, r)
		if lines != nil {
			close(lines)
		}
	}()
	go func() {
		p.err = cmd.Wait()
		w.Close()
		close(p.done)
	}()
	return p, nil
}

// stop ends the process group: SIGTERM, then SIGKILL if the program has not
// exited after a second. Children that outlive the program are killed too.
func (p *process) stop() {
	pgid := p.cmd.Process.Pid
	syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(time.Second):
	}
	syscall.Kill(-pgid, syscall.SIGKILL)
	<-p.done
}

// freePort returns a TCP port on 127.0.0.1 that nothing listens on now.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// xvfb is an X display of Xvfb's for the engines that need one.
type xvfb struct {
	display string // such as ":99"
	proc    *process
}

// startXvfb starts Xvfb on a display number it chooses itself (it writes
// the number to the pipe of -displayfd).
func startXvfb(onLine func(string)) (*xvfb, error) {
	path, err := exec.LookPath("Xvfb")
	if err != nil {
		return nil, fmt.Errorf("Xvfb not found (WebKitGTK's MiniBrowser needs a display): "+
			"install it with `apt-get install -y xvfb` or `make deps`: %w", err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	cmd := exec.Command(path, "-displayfd", "3", "-screen", "0", "1280x1024x24", "-nolisten", "tcp")
	cmd.ExtraFiles = []*os.File{w}
	p, err := startProcess(cmd, onLine, nil)
	w.Close()
	if err != nil {
		return nil, err
	}
	number := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		number <- line
	}()
	select {
	case line := <-number:
		n, err := strconv.Atoi(strings.TrimSpace(line))
		if err != nil {
			p.stop()
			return nil, fmt.Errorf("Xvfb gave no display number (%q)", line)
		}
		return &xvfb{display: ":" + strconv.Itoa(n), proc: p}, nil
	case <-p.done:
		return nil, fmt.Errorf("Xvfb exited: %v", p.err)
	case <-time.After(20 * time.Second):
		p.stop()
		return nil, fmt.Errorf("Xvfb gave no display number in 20 s")
	}
}
