package ownership

// Abandon stops renewing the lease without releasing it, as a killed process would.
func (l *Lease) Abandon() {
	close(l.stop)
	<-l.done
}
