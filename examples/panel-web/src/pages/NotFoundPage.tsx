import { Link } from '../components/Link.js';
import { paths } from '../router.js';

export function NotFoundPage({ path }: { path: string }) {
  return (
    <section className="card empty-state">
      <h1 className="page-title">Page not found</h1>
      <p className="muted">
        Nothing lives at <code>{path}</code>.
      </p>
      <Link to={paths.home} className="btn btn-primary">
        Back to your servers
      </Link>
    </section>
  );
}
